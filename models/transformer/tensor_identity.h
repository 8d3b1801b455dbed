// Which contents a tensor holds, to tell when a cache derived from it (a packed or concatenated copy of a
// weight) is stale: its storage (held weakly, so a freed storage's address is never taken for a new one),
// data pointer and version (bumped by in-place writes: loads, optimizer steps).
#pragma once

#include <ATen/ATen.h>

namespace hezar::transformer {

struct TensorIdentity {
  c10::weak_intrusive_ptr<c10::StorageImpl> storage;
  const void* data;
  uint32_t version;

  static uint32_t version_of(const at::Tensor& t) { return t.is_inference() ? 0 : t._version(); }  // none kept
  static TensorIdentity of(const at::Tensor& t) {
    return {t.storage().getWeakStorageImpl(), t.data_ptr(), version_of(t)};
  }
  bool matches(const at::Tensor& t) const {
    return !storage.expired() && storage._unsafe_get_target() == t.storage().unsafeGetStorageImpl() &&
           data == t.data_ptr() && version == version_of(t);
  }
};

}  // namespace hezar::transformer
