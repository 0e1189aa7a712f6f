"""The bodies of the CLI commands; `app/cli.py` holds only their click declarations.

One module per group of commands, each function taking the `Settings` and the
parsed options. User errors are raised as `AdvieszoekerError` (or
`click.ClickException`) and said once by `app.cli.AdvieszoekerGroup`.
"""
