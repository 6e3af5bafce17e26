"""encoding_for_grid: input-encoding frequencies chosen from the grid's Nyquist frequency."""
import math

import pytest
import torch

import helpers as H


@pytest.mark.parametrize("size, L, sigma", [(64, 4, 2.0), (128, 5, 4.0), (256, 6, 8.0), (512, 7, 16.0)])
def test_quarter_nyquist_on_powers_of_two(size, L, sigma):
    assert H.encoding_for_grid(size) == dict(num_frequencies=L, ff_sigma=sigma)


@pytest.mark.parametrize("size", [2, 3, 17, 64, 100, 129, 300, 1000])
@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 1.0])
def test_top_octave_is_the_largest_within_the_fraction_of_nyquist(size, fraction):
    enc = H.encoding_for_grid(size, fraction)
    top = fraction * size / 4                                  # cycles per unit the encodings may reach
    L = enc["num_frequencies"]
    assert L >= 1 and enc["ff_sigma"] == pytest.approx(top / 2)
    if L > 1:   # sin(2^(L-1) π x) has 2^(L-2) cycles per unit: within the limit, the next octave is not
        assert 2.0 ** (L - 2) <= top * (1 + 1e-12) < 2.0 ** (L - 1)


def test_the_encodings_really_have_those_frequencies():
    """The top octave's cycles per unit, read off a spectrum, are what the docstring says."""
    size = 128
    enc = H.encoding_for_grid(size)
    n = 4096
    x = (torch.arange(n, dtype=torch.float64) / n * 2 - 1)[:, None]       # one period of [-1, 1), 2 units
    pe = H.PositionalEncoding(1, enc["num_frequencies"], include_input=False).double()(x)  # sines, then cosines
    top_sine = pe[:, enc["num_frequencies"] - 1]
    cycles_per_unit = int(torch.fft.rfft(top_sine).abs().argmax()) / 2   # bin k: k cycles over 2 units
    assert cycles_per_unit == 2 ** (enc["num_frequencies"] - 2)
    assert cycles_per_unit <= size / 4 * 0.25                               # within a quarter of Nyquist
    ff = H.FourierFeatures(2, 4096, enc["ff_sigma"], seed=0)
    inside = (ff.B.abs() <= 2 * enc["ff_sigma"]).float().mean()
    assert 0.93 < float(inside) < 0.97                            # ~95 % of the frequencies within 2σ = f


def test_make_model_takes_the_dict_for_every_kind():
    enc = H.encoding_for_grid(64)
    for kind in H.MODEL_KINDS:
        model = H.make_model(kind, 2, 1, 16, 1, seed=0, **enc)
        assert model(torch.zeros(5, 2)).shape == (5, 1)
    pe = H.make_model("relu_pe", 2, 1, 16, 1, **enc)
    assert pe.encoding.freqs.numel() == enc["num_frequencies"]
    assert float(pe.encoding.freqs[-1]) == pytest.approx(math.pi * 2 ** (enc["num_frequencies"] - 1))


@pytest.mark.parametrize("size, fraction, error", [(1, 0.25, ValueError), (64.5, 0.25, ValueError),
                                                   (True, 0.25, TypeError), ("64", 0.25, TypeError),
                                                   (64, 0.0, ValueError), (64, float("nan"), ValueError)])
def test_bad_input_is_refused(size, fraction, error):
    with pytest.raises(error):
        H.encoding_for_grid(size, fraction)
