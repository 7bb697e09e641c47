import numpy as np

from cityindicators import demo, get_register, store


def test_demo_is_deterministic():
    a = demo.generate_demo_tables()
    b = demo.generate_demo_tables()
    for k in a:
        assert a[k].equals(b[k])


def test_demo_uses_only_synthetic_territories(demo_dir):
    reg = get_register()
    pop = store.load("population", data_dir=demo_dir)
    assert all(reg.get(c).synthetic for c in pop["territory_code"].unique())
    side = store.processed_provenance(demo_dir)["population"]
    assert side["synthetic"] is True


def test_demo_accounting_identity(demo_dir):
    """P(t+1) = P(t) + births - deaths + net migration, by construction; net migration is
    immigrants - emigrants."""
    tot = store.load("population_total", sex="total", data_dir=demo_dir).set_index(["territory_code", "year"])["value"]
    births = store.load("births", sex="total", data_dir=demo_dir).set_index(["territory_code", "year"])["value"]
    deaths = store.load("deaths_total", sex="total", data_dir=demo_dir).set_index(["territory_code", "year"])["value"]
    mig = store.load("migration_total", sex="total", data_dir=demo_dir)
    mig = mig.pivot_table(index=["territory_code", "year"], columns="flow", values="value")
    net = mig["immigrants"] - mig["emigrants"]
    nxt = tot.groupby(level=0).shift(-1).dropna()
    lhs = nxt
    rhs = (tot + births - deaths + net).reindex(lhs.index)
    assert np.allclose(lhs, rhs)


def test_demo_model_town_declines(demo_dir):
    tot = store.load("population", territories="X13", sex="total", data_dir=demo_dir).groupby("year")["value"].sum()
    assert tot[demo.DEMO_LAST_YEAR] < 0.8 * tot[demo.DEMO_FIRST_YEAR]


def test_demo_aggregates_add_up(demo_dir):
    reg = get_register()
    tot = store.load("population_total", sex="total", data_dir=demo_dir)
    munis = [t.code for t in reg.municipalities(synthetic=True)]
    s = tot[tot["territory_code"].isin(munis)].groupby("year")["value"].sum()
    c = tot[tot["territory_code"] == "X00"].set_index("year")["value"]
    assert (s == c).all()
