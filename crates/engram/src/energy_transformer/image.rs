//! The energy transformer for masked image completion.
//!
//! An image is cut into patches ([`PatchGrid`]); each patch is encoded linearly into a token,
//! hidden patches are replaced by a learned mask token, and a learned position embedding is
//! added: `x_A = (hidden_A ? m : W_enc p_A + b_enc) + pos_A`. The block descends its energy
//! for `T` steps and every token is decoded from its final activation:
//! `p̂_A = W_dec g(x_A) + b_dec`.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use ndarray::{Array2, Array3, ArrayView2};

use super::attention::EnergyAttention;
use super::block::{EnergyTransformer, EtConfig};
use super::hopfield::{HopfieldKind, HopfieldModule};
use super::init::{check_dtype, constant_var, normal_var};
use super::layer_norm::EnergyLayerNorm;
use super::patches::PatchGrid;
use crate::error::{ensure_finite, Error, Result};
use crate::numeric::Rng;
use crate::train::checkpoint;

/// Version of the checkpoint layout (the first entry of the `config` tensor).
const CHECKPOINT_VERSION: f64 = 1.0;

/// The image model's configuration: how images are cut into tokens and the block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageEtConfig {
    /// Image and patch sizes.
    pub grid: PatchGrid,
    /// The energy transformer block (its `dim` is the token dimension).
    pub block: EtConfig,
}

impl ImageEtConfig {
    /// 8x8 images in 2x2 patches (16 tokens of 4 pixels) and [`EtConfig::default`].
    pub fn digits() -> Self {
        ImageEtConfig {
            grid: PatchGrid::new((8, 8), (2, 2)).expect("2x2 patches tile 8x8 images"),
            block: EtConfig::default(),
        }
    }
}

/// What [`ImageEt::complete`] returns.
#[derive(Debug, Clone)]
pub struct Completion {
    /// The images with their hidden pixels replaced by the model's output, `(n, pixels)`.
    pub completed: Array2<f32>,
    /// The decoded output for every pixel (hidden or not), `(n, pixels)`.
    pub decoded: Array2<f32>,
    /// `energies[s][i]`: energy of image `i` after `s` descent steps (`s = 0..=T`).
    pub energies: Vec<Vec<f64>>,
}

/// The energy transformer with a patch encoder and decoder, position embeddings and a mask
/// token.
///
/// ```
/// use candle_core::DType;
/// use engram::energy_transformer::{ImageEt, ImageEtConfig};
/// use ndarray::Array2;
///
/// let model = ImageEt::new(ImageEtConfig::digits(), 1, DType::F32).unwrap();
/// let images = Array2::from_elem((3, 64), 0.5f32);
/// let mut hidden = Array2::from_elem((3, 16), false);
/// hidden.slice_mut(ndarray::s![.., 8..]).fill(true);     // hide the lower half
/// let out = model.complete(images.view(), hidden.view()).unwrap();
/// assert_eq!(out.completed.dim(), (3, 64));
/// assert_eq!(out.completed[[0, 0]], 0.5);                 // visible pixels are kept
/// assert_eq!(out.energies.len(), 13);                     // T = 12 steps
/// ```
#[derive(Debug, Clone)]
pub struct ImageEt {
    config: ImageEtConfig,
    block: EnergyTransformer,
    encoder_weight: Var,
    encoder_bias: Var,
    decoder_weight: Var,
    decoder_bias: Var,
    position: Var,
    mask_token: Var,
}

impl ImageEt {
    /// A model with seeded random parameters in `dtype` (f32 or f64).
    pub fn new(config: ImageEtConfig, seed: u64, dtype: DType) -> Result<Self> {
        check_dtype(dtype)?;
        let block = EnergyTransformer::new(config.block, seed, dtype)?;
        let (p, d, n) = (
            config.grid.patch_dim(),
            config.block.dim,
            config.grid.tokens(),
        );
        let mut rng = Rng::stream(seed, 1);
        let encoder_weight = normal_var(&mut rng, &[p, d], 1.0 / (p as f64).sqrt(), dtype)?;
        let encoder_bias = constant_var(&[d], 0.0, dtype)?;
        let decoder_weight = normal_var(&mut rng, &[d, p], 1.0 / (d as f64).sqrt(), dtype)?;
        let decoder_bias = constant_var(&[p], 0.0, dtype)?;
        let position = normal_var(&mut rng, &[n, d], 0.5, dtype)?;
        let mask_token = normal_var(&mut rng, &[d], 0.5, dtype)?;
        Ok(ImageEt {
            config,
            block,
            encoder_weight,
            encoder_bias,
            decoder_weight,
            decoder_bias,
            position,
            mask_token,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ImageEtConfig {
        &self.config
    }

    /// The energy transformer block.
    pub fn block(&self) -> &EnergyTransformer {
        &self.block
    }

    /// The dtype the model computes in.
    pub fn dtype(&self) -> DType {
        self.block.dtype()
    }

    /// Every trainable variable (the block's, then encoder, decoder, positions, mask token).
    pub fn vars(&self) -> Vec<Var> {
        let mut vars = self.block.vars();
        vars.extend([
            self.encoder_weight.clone(),
            self.encoder_bias.clone(),
            self.decoder_weight.clone(),
            self.decoder_bias.clone(),
            self.position.clone(),
            self.mask_token.clone(),
        ]);
        vars
    }

    /// Number of trainable numbers.
    pub fn parameter_count(&self) -> usize {
        self.vars().iter().map(|v| v.as_tensor().elem_count()).sum()
    }

    /// Patches `(batch, N, P)` and a hidden-token indicator `(batch, N, 1)` (1 = hidden) to
    /// the initial tokens `(batch, N, D)`.
    pub(crate) fn initial_tokens(&self, patches: &Tensor, hidden: &Tensor) -> Result<Tensor> {
        let (batch, tokens, p) = patches.dims3()?;
        let d = self.config.block.dim;
        let encoded = patches
            .reshape((batch * tokens, p))?
            .matmul(self.encoder_weight.as_tensor())?
            .broadcast_add(self.encoder_bias.as_tensor())?
            .reshape((batch, tokens, d))?;
        let visible = hidden.ones_like()?.sub(hidden)?;
        let mixed = (encoded.broadcast_mul(&visible)?
            + hidden.broadcast_mul(&self.mask_token.as_tensor().reshape((1, 1, d))?)?)?;
        Ok(mixed.broadcast_add(self.position.as_tensor())?)
    }

    /// Final tokens `(batch, N, D)` to patches `(batch, N, P)`.
    pub(crate) fn decode(&self, x: &Tensor) -> Result<Tensor> {
        let (batch, tokens, d) = x.dims3()?;
        let g = self.block.norm().activation(x)?;
        Ok(g.reshape((batch * tokens, d))?
            .matmul(self.decoder_weight.as_tensor())?
            .broadcast_add(self.decoder_bias.as_tensor())?
            .reshape((batch, tokens, self.config.grid.patch_dim()))?)
    }

    /// The differentiable forward pass: encode, `T` descent steps, decode. Patches
    /// `(batch, N, P)`, hidden indicator `(batch, N, 1)`; returns patches `(batch, N, P)`.
    pub(crate) fn forward(&self, patches: &Tensor, hidden: &Tensor) -> Result<Tensor> {
        let x = self.initial_tokens(patches, hidden)?;
        let x = self.block.run(&x, self.config.block.steps)?;
        self.decode(&x)
    }

    /// Mean squared error over the hidden pixels (a scalar tensor); `hidden` must hide at
    /// least one token.
    pub(crate) fn masked_loss(&self, patches: &Tensor, hidden: &Tensor) -> Result<Tensor> {
        let out = self.forward(patches, hidden)?;
        let count = hidden.sum_all()?.to_dtype(DType::F64)?.to_scalar::<f64>()?
            * self.config.grid.patch_dim() as f64;
        if count == 0.0 {
            return Err(Error::param("mask", "hides no patch"));
        }
        let err = (out - patches)?.sqr()?.broadcast_mul(hidden)?;
        Ok((err.sum_all()? / count)?)
    }

    /// The training loss of images `(n, pixels)` with the tokens marked in `hidden` `(n, N)`
    /// hidden: the mean squared error over the hidden pixels of the decoded state after `T`
    /// steps, as a scalar tensor that can be backpropagated to every parameter
    /// ([`vars`](Self::vars)) through the unrolled descent.
    ///
    /// Errors: empty input, wrong shapes, non-finite pixels, a mask that hides nothing.
    pub fn loss(&self, images: ArrayView2<f32>, hidden: ArrayView2<bool>) -> Result<Tensor> {
        if images.nrows() == 0 {
            return Err(Error::Empty("no images".into()));
        }
        ensure_finite("images", images.iter())?;
        let (patches, flags) = self.tensors(images, hidden)?;
        self.masked_loss(&patches, &flags)
    }

    /// Images `(n, pixels)` and a token mask `(n, N)` (true = hidden) as the tensors of
    /// [`forward`](Self::forward).
    pub(crate) fn tensors(
        &self,
        images: ArrayView2<f32>,
        hidden: ArrayView2<bool>,
    ) -> Result<(Tensor, Tensor)> {
        let grid = &self.config.grid;
        let patches: Array3<f32> = grid.patchify(images)?;
        if hidden.dim() != (images.nrows(), grid.tokens()) {
            return Err(Error::shape(
                "mask",
                format!("({}, {})", images.nrows(), grid.tokens()),
                format!("{:?}", hidden.dim()),
            ));
        }
        let dims = patches.dim();
        let patches = Tensor::from_vec(patches.into_raw_vec_and_offset().0, dims, &Device::Cpu)?
            .to_dtype(self.dtype())?;
        let flags: Vec<f32> = hidden.iter().map(|&h| if h { 1.0 } else { 0.0 }).collect();
        let hidden =
            Tensor::from_vec(flags, (dims.0, dims.1, 1), &Device::Cpu)?.to_dtype(self.dtype())?;
        Ok((patches, hidden))
    }

    /// Completes images `(n, pixels)` whose tokens marked in `hidden` `(n, N)` are hidden:
    /// runs the descent, records the energy at every step, decodes, and pastes the decoded
    /// hidden pixels into the visible ones.
    ///
    /// Errors: empty input, shapes that disagree with the patch grid, non-finite pixels.
    pub fn complete(
        &self,
        images: ArrayView2<f32>,
        hidden: ArrayView2<bool>,
    ) -> Result<Completion> {
        if images.nrows() == 0 {
            return Err(Error::Empty("no images to complete".into()));
        }
        ensure_finite("images", images.iter())?;
        let (patches, flags) = self.tensors(images, hidden)?;
        let x = self.initial_tokens(&patches, &flags)?;
        let descent = self.block.descend(&x, self.config.block.steps)?;
        let out = self.decode(&descent.state)?.to_dtype(DType::F32)?;
        let dims = out.dims3()?;
        let out = Array3::from_shape_vec(dims, out.flatten_all()?.to_vec1::<f32>()?)
            .map_err(|e| Error::Backend(e.to_string()))?;
        let decoded = self.config.grid.unpatchify(out.view())?;
        let mask = self.config.grid.pixel_mask(hidden)?;
        let mut completed = images.to_owned();
        ndarray::Zip::from(&mut completed)
            .and(&decoded)
            .and(&mask)
            .for_each(|c, &d, &m| {
                if m {
                    *c = d;
                }
            });
        Ok(Completion {
            completed,
            decoded,
            energies: descent.energies,
        })
    }

    /// Every parameter by name, plus a `config` tensor describing the model.
    fn named_tensors(&self) -> Result<HashMap<String, Tensor>> {
        let c = &self.config;
        let b = &c.block;
        let (kind, hopfield_beta) = match b.hopfield {
            HopfieldKind::Relu => (0.0, 0.0),
            HopfieldKind::Softmax { beta } => (1.0, beta),
        };
        let dtype = match self.dtype() {
            DType::F64 => 1.0,
            _ => 0.0,
        };
        let config = vec![
            CHECKPOINT_VERSION,
            c.grid.image_shape().0 as f64,
            c.grid.image_shape().1 as f64,
            c.grid.patch_shape().0 as f64,
            c.grid.patch_shape().1 as f64,
            b.dim as f64,
            b.heads as f64,
            b.head_dim as f64,
            b.memories as f64,
            kind,
            hopfield_beta,
            // 0 stands for the default 1/sqrt(Y).
            b.attention_beta.unwrap_or(0.0),
            b.eps,
            b.steps as f64,
            b.step_size,
            dtype,
        ];
        let block = &self.block;
        let mut named = HashMap::new();
        named.insert(
            "config".to_string(),
            Tensor::from_vec(config.clone(), config.len(), &Device::Cpu)?,
        );
        for (name, var) in [
            ("norm.gamma", block.norm().gamma()),
            ("norm.delta", block.norm().delta()),
            ("attention.w_k", block.attention().w_k()),
            ("attention.w_q", block.attention().w_q()),
            ("hopfield.xi", block.hopfield().xi()),
            ("encoder.weight", &self.encoder_weight),
            ("encoder.bias", &self.encoder_bias),
            ("decoder.weight", &self.decoder_weight),
            ("decoder.bias", &self.decoder_bias),
            ("position", &self.position),
            ("mask_token", &self.mask_token),
        ] {
            named.insert(name.to_string(), var.as_tensor().detach());
        }
        Ok(named)
    }

    /// Writes the model (parameters and configuration) to a safetensors file, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        checkpoint::save(&self.named_tensors()?, path)
    }

    /// Reads a model written by [`save`](Self::save); it computes exactly as the saved one.
    ///
    /// Errors: a missing file ([`Error::Io`]), a damaged one or one from another model
    /// ([`Error::Format`]), tensors of the wrong shape ([`Error::Shape`]).
    pub fn load(path: &Path) -> Result<Self> {
        let tensors = checkpoint::load(path)?;
        Self::from_named(tensors, &path.display().to_string())
    }

    /// An independent copy: same parameters, its own variables (training one leaves the other
    /// alone).
    pub fn snapshot(&self) -> Result<Self> {
        Self::from_named(self.named_tensors()?, "snapshot")
    }

    /// Builds a model from named tensors as [`save`](Self::save) writes them; `source` names
    /// them in errors.
    fn from_named(mut tensors: HashMap<String, Tensor>, source: &str) -> Result<Self> {
        let bad = |reason: String| Error::Format {
            path: source.to_string(),
            reason,
        };
        let config = tensors
            .remove("config")
            .ok_or_else(|| bad("no config tensor (not an energy transformer checkpoint)".into()))?
            .to_dtype(DType::F64)?
            .flatten_all()?
            .to_vec1::<f64>()?;
        if config.len() != 16 || config[0] != CHECKPOINT_VERSION {
            return Err(bad(format!(
                "config of {} entries, version {:?}; expected 16 entries, version {CHECKPOINT_VERSION}",
                config.len(),
                config.first()
            )));
        }
        let size = |i: usize, name: &str| -> Result<usize> {
            let v = config[i];
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e9 {
                Ok(v as usize)
            } else {
                Err(bad(format!("{name} = {v} is not a size")))
            }
        };
        let grid = PatchGrid::new(
            (size(1, "image height")?, size(2, "image width")?),
            (size(3, "patch height")?, size(4, "patch width")?),
        )?;
        let hopfield = match config[9] {
            0.0 => HopfieldKind::Relu,
            1.0 => HopfieldKind::Softmax { beta: config[10] },
            k => return Err(bad(format!("unknown Hopfield kind {k}"))),
        };
        let block = EtConfig {
            dim: size(5, "dim")?,
            heads: size(6, "heads")?,
            head_dim: size(7, "head_dim")?,
            memories: size(8, "memories")?,
            hopfield,
            attention_beta: (config[11] != 0.0).then_some(config[11]),
            eps: config[12],
            steps: size(13, "steps")?,
            step_size: config[14],
        };
        block.validate()?;
        let dtype = if config[15] == 1.0 {
            DType::F64
        } else {
            DType::F32
        };
        let (d, p, n) = (block.dim, grid.patch_dim(), grid.tokens());
        let mut take = |name: &str, shape: &[usize]| -> Result<Tensor> {
            let t = checkpoint::take(&mut tensors, name, shape)?;
            if t.dtype() != dtype {
                return Err(bad(format!(
                    "{name} is {:?}, config says {dtype:?}",
                    t.dtype()
                )));
            }
            let values = t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
            if let Some(index) = values.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite {
                    what: format!("checkpoint tensor {name}"),
                    index,
                });
            }
            Ok(t)
        };
        let norm = EnergyLayerNorm::from_parameters(
            take("norm.gamma", &[1])?,
            take("norm.delta", &[d])?,
            block.eps,
        )?;
        let attention = EnergyAttention::from_parameters(
            take("attention.w_k", &[block.heads, block.head_dim, d])?,
            take("attention.w_q", &[block.heads, block.head_dim, d])?,
            block.beta(),
        )?;
        let hopfield =
            HopfieldModule::from_parameters(take("hopfield.xi", &[block.memories, d])?, hopfield)?;
        let var = |t: Tensor| Var::from_tensor(&t);
        Ok(ImageEt {
            config: ImageEtConfig { grid, block },
            block: EnergyTransformer::from_parts(block, norm, attention, hopfield)?,
            encoder_weight: var(take("encoder.weight", &[p, d])?)?,
            encoder_bias: var(take("encoder.bias", &[d])?)?,
            decoder_weight: var(take("decoder.weight", &[d, p])?)?,
            decoder_bias: var(take("decoder.bias", &[p])?)?,
            position: var(take("position", &[n, d])?)?,
            mask_token: var(take("mask_token", &[d])?)?,
        })
    }
}
