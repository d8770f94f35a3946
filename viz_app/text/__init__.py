"""Words on the page: the string table (Korean, English), math typesetting, escaping, claims and equations."""
