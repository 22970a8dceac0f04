"""syncscope's runners and command line."""
