"""What a link holds: the table of fields, the app's state built from it, scenarios, and the address bar."""
