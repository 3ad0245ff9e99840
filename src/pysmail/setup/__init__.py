"""`smail-token setup`: a local web page that writes smail.ini and gets the refresh token
(docs/setup.md). server.py serves it; flows.py does what its buttons do; actions.py decides."""
