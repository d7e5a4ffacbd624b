"""The commands: Typer signatures -> parse -> plan -> run(env); exit statuses and one-line errors."""
