"""One module per `syncscope` subcommand."""
