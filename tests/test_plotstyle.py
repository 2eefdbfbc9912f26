import numpy as np
import pytest

from utils.plotstyle import PALETTE, draw_hist, hist_counts, new_figure, update_hist, use_course_style


def test_hist_counts_equal_numpy_histogram():
    x = np.random.default_rng(0).standard_normal(10_000)
    counts, edges = hist_counts(x, bins=40, range=(-4, 4))
    ref_counts, ref_edges = np.histogram(x, bins=40, range=(-4, 4))
    assert np.array_equal(counts, ref_counts) and np.array_equal(edges, ref_edges)


def test_hist_counts_drop_non_finite_values():
    counts, _ = hist_counts(np.array([0.0, np.nan, np.inf, -np.inf, 0.5]), bins=2, range=(0, 1))
    assert counts.sum() == 2


def test_drawn_histogram_is_one_artist_with_the_counts_and_updates_in_place():
    fig, ax = new_figure()
    counts, edges = hist_counts(np.arange(100.0), bins=10)
    art = draw_hist(ax, counts, edges)
    assert len(ax.patches) == 1
    np.testing.assert_array_equal(art.get_data().values, counts)
    update_hist(art, counts * 2, edges)
    np.testing.assert_array_equal(art.get_data().values, counts * 2)


def test_density_heights_integrate_to_one():
    counts, edges = hist_counts(np.random.default_rng(1).normal(size=5000), bins=30)
    fig, ax = new_figure()
    art = draw_hist(ax, counts, edges, density=True)
    assert np.isclose((art.get_data().values * np.diff(edges)).sum(), 1.0)


def test_new_figure_shapes_and_bad_sizes():
    fig, axes = new_figure(2, 3)
    assert axes.shape == (2, 3)
    with pytest.raises(ValueError, match="nrows"):
        new_figure(0, 1)
    with pytest.raises(ValueError, match="bins"):
        hist_counts([1, 2], bins=0)


def test_style_uses_the_colour_blind_safe_palette():
    import matplotlib as mpl

    use_course_style()
    cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert cycle == PALETTE and mpl.rcParams["font.size"] >= 12
