"""POP3, used only for POP before SMTP."""
