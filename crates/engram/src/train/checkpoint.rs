//! Checkpoints as safetensors files: named tensors, written atomically.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};

use crate::error::{Error, Result};
use crate::pattern::atomic::write_atomic;

/// Writes `tensors` to `path` in the safetensors format, atomically: a crash leaves either the
/// old file or the complete new one.
pub fn save(tensors: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    let mut named: Vec<(&String, &Tensor)> = tensors.iter().collect();
    named.sort_by(|a, b| a.0.cmp(b.0));
    let bytes = safetensors::serialize(named, None)
        .map_err(|e| Error::Backend(format!("serializing {}: {e}", path.display())))?;
    write_atomic(path, &bytes)
}

/// Reads every tensor of the safetensors file at `path` (on the CPU).
///
/// A missing file is an [`Error::Io`]; a truncated or malformed one an [`Error::Format`].
pub fn load(path: &Path) -> Result<HashMap<String, Tensor>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).map_err(|e| Error::Format {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Takes the tensor `name` from a loaded checkpoint, checking its shape.
pub fn take(tensors: &mut HashMap<String, Tensor>, name: &str, shape: &[usize]) -> Result<Tensor> {
    let tensor = tensors.remove(name).ok_or_else(|| Error::Format {
        path: "checkpoint".into(),
        reason: format!("no tensor named {name}"),
    })?;
    if tensor.dims() != shape {
        return Err(Error::shape(
            format!("checkpoint tensor {name}"),
            format!("{shape:?}"),
            format!("{:?}", tensor.dims()),
        ));
    }
    Ok(tensor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let dir = std::env::temp_dir().join(format!("engram-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("model.safetensors");
        let w = Tensor::new(&[[1f32, 2.0], [3.0, 4.0]], &Device::Cpu).unwrap();
        let mut tensors = HashMap::new();
        tensors.insert("w".to_string(), w.clone());
        save(&tensors, &path).unwrap();
        let mut back = load(&path).unwrap();
        let w2 = take(&mut back, "w", &[2, 2]).unwrap();
        assert_eq!(w.to_vec2::<f32>().unwrap(), w2.to_vec2::<f32>().unwrap());
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(matches!(load(&path), Err(Error::Format { .. })));
        assert!(matches!(load(&dir.join("missing")), Err(Error::Io { .. })));
        std::fs::remove_dir_all(&dir).ok();
    }
}
