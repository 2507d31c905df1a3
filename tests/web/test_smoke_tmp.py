from parcours.accounts.roles import Role


def test_smoke(client_as, client, world) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303, r.text
    c = client_as(Role.CONSEILLER)
    r = c.get("/")
    assert r.status_code == 200, r.text
    r = c.get("/dossiers?q=dur")
    assert "DE-A1-001" in r.text, r.text
    r = c.get("/dossiers/DE-A1-001")
    assert r.status_code == 200, r.text
    r = c.get("/dossiers/DE-B1-001", follow_redirects=False)
    assert r.status_code == 303 and "/motif" in r.headers["location"], r.text
    m = client_as(Role.MANAGER)
    assert m.get("/dossiers/DE-A1-002").status_code == 200
    n = client_as(Role.NATIONAL)
    assert n.get("/controle/journal").status_code == 200
    a = client_as(Role.ADMIN)
    r = a.get("/admin/comptes")
    assert r.status_code == 200, r.text
