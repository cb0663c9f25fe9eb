import pytest

# One tiny end-to-end run of every stage, shared by the config, resume,
# export and results-tool tests.
TINY = dict(num_source=20, num_train=16, num_test=20, img_size=16,
            data_seed=0, epochs=1, source_epochs=1, batch_size=8, lr=0.05)


@pytest.fixture(scope='session')
def cloudy_run(tmp_path_factory):
    """``CloudySystem`` trained and tested at the tiny budget, seed 0."""
    from ifkd.engine.systems.cloudy_scene import CloudyBudget, CloudySystem
    root = tmp_path_factory.mktemp('cloudy')
    system = CloudySystem(str(root / 'work'), str(root / 'data'),
                          CloudyBudget(**TINY), seeds=(0, ),
                          log=lambda msg: None)
    results = system.run()
    return system, results
