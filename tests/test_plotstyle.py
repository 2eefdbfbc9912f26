import numpy as np
import pytest

from utils.plotstyle import (
    PALETTE,
    describe_figure,
    draw_hist,
    hist_counts,
    light_log_axis,
    new_figure,
    power_of_ten_label,
    update_hist,
    use_course_style,
)


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


@pytest.mark.parametrize("value, label", [(1e-5, "10⁻⁵"), (1e12, "10¹²"), (1.0, "1"), (10.0, "10"), (100.0, "10²"),
                                          (0.3, "0.3"), (2.5e-7, "2.5e-07"), (0.0, ""), (float("nan"), "")])
def test_power_of_ten_labels_are_plain_text(value, label):
    assert power_of_ten_label(value) == label


def test_light_log_axis_labels_a_few_powers_of_ten_without_minor_ticks():
    fig, ax = new_figure()
    ax.plot([1, 2], [1e-9, 1e9])
    assert light_log_axis(ax) is ax
    fig.canvas.draw()
    assert ax.get_yscale() == "log"
    assert ax.yaxis.get_minorticklocs().size == 0
    lo, hi = ax.get_ylim()
    labels = [t.get_text() for t, v in zip(ax.get_yticklabels(), ax.get_yticks()) if lo <= v <= hi]
    assert 2 <= len(labels) <= 7 and all("$" not in t for t in labels), labels  # no mathtext
    assert all(t == "1" or t.startswith("10") for t in labels), labels
    with pytest.raises(ValueError, match="axis must be one of 'x', 'y'"):
        light_log_axis(ax, axis="z")


def test_a_figure_is_described_by_its_titles_and_axis_labels():
    fig, ax = new_figure()
    ax.set_title("Xavier keeps every layer's spread")
    ax.set_xlabel("layer")
    ax.set_ylabel("std of activations")
    assert describe_figure(fig) == "Figure: Xavier keeps every layer's spread. Axes: x: layer; y: std of activations."
    fig, (left, right) = new_figure(1, 2)
    fig.suptitle("Two inits")
    left.set_title("tanh")
    right.set_xlabel("step")
    assert describe_figure(fig) == 'Figure: Two inits. Panel 1: "tanh". Panel 2: untitled (x: step).'
    assert describe_figure(new_figure()[0]) == "Figure: untitled."
    fig, (left, right) = new_figure(1, 2)
    left.set_title("a title broken\nby hand")
    right.set_ylabel("loss")
    assert describe_figure(fig) == ('Figure with 2 panels. Panel 1: "a title broken by hand". '
                                    'Panel 2: untitled (y: loss).')
    with pytest.raises(TypeError, match="matplotlib Figure"):
        describe_figure("not a figure")


def test_in_ipython_a_figure_text_is_its_description():
    from IPython.core.interactiveshell import InteractiveShell

    from utils.plotstyle import enable_figure_display

    shell = InteractiveShell.instance()
    try:
        assert enable_figure_display()
        fig, ax = new_figure()
        ax.set_title("A finding")
        data, _ = shell.display_formatter.format(fig)
    finally:
        InteractiveShell.clear_instance()  # the other tests run outside IPython
    assert data["text/plain"] == "Figure: A finding." and "image/png" in data


def _axes():
    return new_figure()[1]


BAD_INPUT_BASE = {
    "describe_figure": lambda: dict(fig=new_figure()[0]),
    "hist_counts": lambda: dict(values=np.arange(10.0)),
    "draw_hist": lambda: dict(ax=_axes(), counts=np.ones(3), edges=np.arange(4.0)),
    "update_hist": lambda: dict(artist=_axes().stairs(np.ones(3), np.arange(4.0)), counts=np.ones(3),
                                edges=np.arange(4.0)),
    "power_of_ten_label": lambda: dict(value=100.0),
    "light_log_axis": lambda: dict(ax=_axes()),
}
# A log axis's tick labeller is called by matplotlib with any tick value; it answers "" for the ones it does not label.
BAD_INPUT_ALLOW = {("power_of_ten_label", "value", label): "matplotlib calls it with every tick value: it answers ''"
                   for label in ("nan", "inf", "-inf")}
BAD_INPUT_ALLOW.update({("hist_counts", "values", "NaN inside"): "documented: NaN and ±inf are dropped",
                        ("hist_counts", "values", "extra dimension"): "documented: values of any shape",
                        ("hist_counts", "values", "empty"): "documented: no values give zero counts"})


@pytest.mark.parametrize("bad", ["0.1", None, True, [0.1]])
def test_power_of_ten_label_refuses_what_is_not_a_number_by_name(bad):
    # issue 32: power_of_ten_label('0.1') failed inside NumPy's isfinite
    with pytest.raises(TypeError, match="value must be a tick value"):
        power_of_ten_label(bad)
    assert power_of_ten_label(np.float64(1e-5)) == "10⁻⁵" and power_of_ten_label(float("nan")) == ""
