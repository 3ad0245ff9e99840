"""The smail-token use-cases: login, status, check, revoke/logout, access-token (setup is
pysmail.setup.serve: the page is a front end above app/, like cli/)."""
