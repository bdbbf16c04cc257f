"""Reading LFW (data/lfw.py): where to put it when it is missing, a partial copy, unreadable
JPEGs, the funneled set first."""
import pytest

from facerecon.data import lfw
from facerecon.data.lfw import DataError, fetch_lfw


def test_missing_lfw_without_network_says_where_to_put_it(tmp_path, monkeypatch):
    import sklearn.datasets

    def offline(**kwargs):
        raise OSError("no network")

    monkeypatch.setattr(sklearn.datasets, "fetch_lfw_people", offline)
    with pytest.raises(DataError, match=r"put LFW in .*lfw_home.*LFW_HOME"):
        fetch_lfw(tmp_path)


def test_partial_lfw_is_an_error(tmp_path):
    folder = tmp_path / "lfw_home" / "lfw" / "Some_One"
    folder.mkdir(parents=True)
    (folder / "Some_One_0001.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="partial: 1 of 13233"):
        fetch_lfw(tmp_path)


def test_unreadable_jpegs_are_named(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    assert lfw.find_unreadable_jpegs(tmp_path) == [tmp_path / "bad.jpg"]


def test_funneled_set_is_preferred(tmp_path):
    (tmp_path / "lfw_home" / "lfw").mkdir(parents=True)
    assert lfw.choose_lfw_variant(tmp_path) is False
    (tmp_path / "lfw_home" / "lfw_funneled").mkdir()
    assert lfw.choose_lfw_variant(tmp_path) is True
