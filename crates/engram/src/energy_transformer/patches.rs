//! Cutting images into non-overlapping patches (the tokens) and putting them back.

use ndarray::{Array2, Array3, ArrayView2, ArrayView3};

use crate::error::{Error, Result};

/// A grid of `patch.0 x patch.1` patches tiling `image.0 x image.1` images (row-major pixels,
/// tokens numbered row by row).
///
/// ```
/// use engram::energy_transformer::PatchGrid;
/// let grid = PatchGrid::new((8, 8), (2, 2)).unwrap();
/// assert_eq!((grid.tokens(), grid.patch_dim()), (16, 4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchGrid {
    image: (usize, usize),
    patch: (usize, usize),
}

impl PatchGrid {
    /// The grid of `patch`-sized patches over `image`-sized images; the patch sides must divide
    /// the image sides, and there must be at least two patches.
    pub fn new(image: (usize, usize), patch: (usize, usize)) -> Result<Self> {
        if image.0 == 0 || image.1 == 0 || patch.0 == 0 || patch.1 == 0 {
            return Err(Error::param(
                "patch",
                "image and patch sides must be at least 1",
            ));
        }
        if !image.0.is_multiple_of(patch.0) || !image.1.is_multiple_of(patch.1) {
            return Err(Error::param(
                "patch",
                format!(
                    "{}x{} patches do not tile {}x{} images",
                    patch.0, patch.1, image.0, image.1
                ),
            ));
        }
        let grid = PatchGrid { image, patch };
        if grid.tokens() < 2 {
            return Err(Error::param(
                "patch",
                "the image must hold at least 2 patches",
            ));
        }
        Ok(grid)
    }

    /// `(height, width)` of an image.
    pub fn image_shape(&self) -> (usize, usize) {
        self.image
    }

    /// `(height, width)` of a patch.
    pub fn patch_shape(&self) -> (usize, usize) {
        self.patch
    }

    /// Pixels per image.
    pub fn pixels(&self) -> usize {
        self.image.0 * self.image.1
    }

    /// Patches (tokens) per image.
    pub fn tokens(&self) -> usize {
        (self.image.0 / self.patch.0) * (self.image.1 / self.patch.1)
    }

    /// Pixels per patch.
    pub fn patch_dim(&self) -> usize {
        self.patch.0 * self.patch.1
    }

    /// Flat pixel index of pixel `p` of patch `t`.
    fn pixel(&self, t: usize, p: usize) -> usize {
        let per_row = self.image.1 / self.patch.1;
        let (ty, tx) = (t / per_row, t % per_row);
        let (py, px) = (p / self.patch.1, p % self.patch.1);
        (ty * self.patch.0 + py) * self.image.1 + tx * self.patch.1 + px
    }

    /// Images `(n, pixels)` to patches `(n, tokens, patch_dim)`.
    pub fn patchify(&self, images: ArrayView2<f32>) -> Result<Array3<f32>> {
        if images.ncols() != self.pixels() {
            return Err(Error::shape(
                "images",
                format!("(n, {})", self.pixels()),
                format!("{:?}", images.dim()),
            ));
        }
        let (tokens, dim) = (self.tokens(), self.patch_dim());
        Ok(Array3::from_shape_fn(
            (images.nrows(), tokens, dim),
            |(i, t, p)| images[[i, self.pixel(t, p)]],
        ))
    }

    /// Patches `(n, tokens, patch_dim)` back to images `(n, pixels)`.
    pub fn unpatchify(&self, patches: ArrayView3<f32>) -> Result<Array2<f32>> {
        let (n, tokens, dim) = patches.dim();
        if tokens != self.tokens() || dim != self.patch_dim() {
            return Err(Error::shape(
                "patches",
                format!("(n, {}, {})", self.tokens(), self.patch_dim()),
                format!("{:?}", patches.dim()),
            ));
        }
        let mut images = Array2::zeros((n, self.pixels()));
        for i in 0..n {
            for t in 0..tokens {
                for p in 0..dim {
                    images[[i, self.pixel(t, p)]] = patches[[i, t, p]];
                }
            }
        }
        Ok(images)
    }

    /// Per-pixel mask `(n, pixels)` (true = hidden) from a per-token mask `(n, tokens)`.
    pub fn pixel_mask(&self, hidden: ArrayView2<bool>) -> Result<Array2<bool>> {
        if hidden.ncols() != self.tokens() {
            return Err(Error::shape(
                "mask",
                format!("(n, {})", self.tokens()),
                format!("{:?}", hidden.dim()),
            ));
        }
        let mut mask = Array2::from_elem((hidden.nrows(), self.pixels()), false);
        for i in 0..hidden.nrows() {
            for t in 0..self.tokens() {
                if hidden[[i, t]] {
                    for p in 0..self.patch_dim() {
                        mask[[i, self.pixel(t, p)]] = true;
                    }
                }
            }
        }
        Ok(mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patchify_round_trips_and_orders_tokens_row_by_row() {
        let grid = PatchGrid::new((4, 6), (2, 3)).unwrap();
        let images = Array2::from_shape_fn((2, 24), |(i, j)| (i * 100 + j) as f32);
        let patches = grid.patchify(images.view()).unwrap();
        assert_eq!(patches.dim(), (2, 4, 6));
        // Token 1 is the top-right patch: pixels (0, 3..6) and (1, 3..6).
        assert_eq!(patches[[0, 1, 0]], 3.0);
        assert_eq!(patches[[0, 1, 3]], 9.0);
        assert_eq!(grid.unpatchify(patches.view()).unwrap(), images);
        assert!(PatchGrid::new((8, 8), (3, 3)).is_err());
        assert!(PatchGrid::new((2, 2), (2, 2)).is_err());
    }
}
