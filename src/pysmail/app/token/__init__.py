"""The smail-token use-cases: login, status, check, revoke/logout, access-token, setup."""
