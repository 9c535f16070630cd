"""Live feeds: adapters of the ``LiveFeed`` port that stream quotes and completed bars."""
