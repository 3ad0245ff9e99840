"""Network: sockets, TLS, proxies and deadlines shared by SMTP, POP3 and OAuth."""
