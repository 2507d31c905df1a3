from parcours.cli.main import app

app()
