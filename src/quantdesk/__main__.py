"""Allow ``python -m quantdesk``, the same as the ``quantdesk`` command."""

from quantdesk.cli import main

main()
