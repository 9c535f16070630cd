"""Print the API's OpenAPI schema, the source of the dashboard's typed client."""

import json

from quantdesk.api.app import create_app

print(json.dumps(create_app().openapi(), indent=2))
