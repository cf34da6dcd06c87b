//! The 2-D convolutional synapse: `E = -g_out · conv2d(g_in, K)` (Krotov 2021, eq. 3 with the
//! weights tied by translation).
//!
//! `g_in` has shape `(C_in, H, W)`, the kernel `K` has shape `(C_out, C_in, k_h, k_w)`, and
//! `g_out` has shape `(C_out, H_out, W_out)` with `H_out = (H + 2 p - k_h) / s + 1` (and the same
//! for the width) for stride `s` and zero padding `p`. The gradient with respect to `g_out` is
//! `-conv2d(g_in, K)`, the one with respect to `g_in` is `-conv_transpose2d(g_out, K)`.

use ndarray::{Array1, Array4};

use super::synapse::check_finite;
use super::Layer;
use crate::error::{Error, Result};

/// A convolutional synapse from layer `input` to layer `output`.
///
/// ```
/// use engram::layers::Conv2d;
/// use ndarray::Array4;
///
/// // 1 input channel of 8x8 pixels to 4 feature maps of 3x3 (kernel 4x4, stride 2, no padding).
/// let conv = Conv2d::new(1, 0, Array4::zeros((4, 1, 4, 4)), 2, 0).unwrap();
/// assert_eq!(conv.output_shape(&[1, 8, 8]).unwrap(), [4, 3, 3]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    output: usize,
    input: usize,
    kernel: Array4<f64>,
    stride: usize,
    padding: usize,
}

impl Conv2d {
    /// A convolution from layer `input` to layer `output` with `kernel` of shape
    /// `(C_out, C_in, k_h, k_w)`, `stride >= 1` and zero `padding`. The two layers must differ.
    pub fn new(
        output: usize,
        input: usize,
        kernel: Array4<f64>,
        stride: usize,
        padding: usize,
    ) -> Result<Conv2d> {
        if output == input {
            return Err(Error::param(
                "conv2d",
                format!("input and output must be different layers, got {input} twice"),
            ));
        }
        if stride == 0 {
            return Err(Error::param("stride", "must be at least 1"));
        }
        if kernel.is_empty() {
            return Err(Error::Empty("conv2d kernel has a zero side".into()));
        }
        check_finite("conv2d kernel", kernel.iter())?;
        Ok(Conv2d {
            output,
            input,
            kernel,
            stride,
            padding,
        })
    }

    /// The layers, `(output, input)`.
    pub fn layers(&self) -> (usize, usize) {
        (self.output, self.input)
    }

    /// The kernel, shape `(C_out, C_in, k_h, k_w)`.
    pub fn kernel(&self) -> &Array4<f64> {
        &self.kernel
    }

    /// The stride.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The zero padding on every side.
    pub fn padding(&self) -> usize {
        self.padding
    }

    /// The output shape `(C_out, H_out, W_out)` for an input of shape `(C_in, H, W)`.
    pub fn output_shape(&self, input: &[usize]) -> Result<[usize; 3]> {
        let (co, ci, kh, kw) = self.kernel.dim();
        if input.len() != 3 || input[0] != ci {
            return Err(Error::shape(
                "conv2d input layer",
                format!("({ci}, H, W)"),
                format!("{input:?}"),
            ));
        }
        let (h, w) = (input[1] + 2 * self.padding, input[2] + 2 * self.padding);
        if h < kh || w < kw {
            return Err(Error::shape(
                "conv2d input layer (padded)",
                format!("at least {kh} x {kw}"),
                format!("{h} x {w}"),
            ));
        }
        Ok([co, (h - kh) / self.stride + 1, (w - kw) / self.stride + 1])
    }

    pub(crate) fn check(&self, layers: &[Layer]) -> Result<()> {
        let expected = self.output_shape(layers[self.input].shape())?;
        if layers[self.output].shape() != expected {
            return Err(Error::shape(
                "conv2d output layer",
                format!("{expected:?}"),
                format!("{:?}", layers[self.output].shape()),
            ));
        }
        Ok(())
    }

    /// Calls `f(out_index, in_index, weight)` for every product of the convolution.
    fn for_each_tap(&self, input_hw: (usize, usize), mut f: impl FnMut(usize, usize, f64)) {
        let (co, ci, kh, kw) = self.kernel.dim();
        let (h, w) = input_hw;
        let ho = (h + 2 * self.padding - kh) / self.stride + 1;
        let wo = (w + 2 * self.padding - kw) / self.stride + 1;
        for o in 0..co {
            for y in 0..ho {
                for x in 0..wo {
                    let out = (o * ho + y) * wo + x;
                    for c in 0..ci {
                        for i in 0..kh {
                            let iy = (y * self.stride + i) as isize - self.padding as isize;
                            if iy < 0 || iy >= h as isize {
                                continue;
                            }
                            for j in 0..kw {
                                let ix = (x * self.stride + j) as isize - self.padding as isize;
                                if ix < 0 || ix >= w as isize {
                                    continue;
                                }
                                let inp = (c * h + iy as usize) * w + ix as usize;
                                f(out, inp, self.kernel[[o, c, i, j]]);
                            }
                        }
                    }
                }
            }
        }
    }

    fn input_hw(&self, layers: &[Layer]) -> (usize, usize) {
        let shape = layers[self.input].shape();
        (shape[1], shape[2])
    }

    /// `conv2d(g_in, K)` as a flat `(C_out, H_out, W_out)` array, for an input of `input_hw`
    /// = `(H, W)` pixels per channel (`g_in` must have `C_in H W` entries).
    pub fn forward(
        &self,
        g_in: &Array1<f64>,
        input_hw: (usize, usize),
        out_len: usize,
    ) -> Array1<f64> {
        let mut out = Array1::zeros(out_len);
        self.for_each_tap(input_hw, |o, i, k| out[o] += k * g_in[i]);
        out
    }

    pub(crate) fn energy(&self, layers: &[Layer], g: &[Array1<f64>]) -> f64 {
        let hw = self.input_hw(layers);
        -self
            .forward(&g[self.input], hw, g[self.output].len())
            .dot(&g[self.output])
    }

    pub(crate) fn add_gradients(
        &self,
        layers: &[Layer],
        g: &[Array1<f64>],
        grads: &mut [Array1<f64>],
    ) {
        let hw = self.input_hw(layers);
        let (gi, go) = (&g[self.input], &g[self.output]);
        let mut to_out = Array1::zeros(go.len());
        let mut to_in = Array1::zeros(gi.len());
        self.for_each_tap(hw, |o, i, k| {
            to_out[o] -= k * gi[i];
            to_in[i] -= k * go[o];
        });
        grads[self.output] += &to_out;
        grads[self.input] += &to_in;
    }
}
