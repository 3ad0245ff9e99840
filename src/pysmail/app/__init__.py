"""The use-cases: what smail, smail-token and the setup page do, apart from parsing and printing."""
