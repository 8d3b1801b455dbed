"""Exports the benchmark's BERT-base classifier to ONNX for the ONNX Runtime peer (bench/bert_ort.js): the
torch.nn module of bench/bert_peer.py with the SAME model.safetensors hezar saved, through torch.onnx.export of
Debian's torch 1.13 (opset 14; batch and sequence are dynamic axes). bench/bert.sh checks the export by
comparing the logits of all three sides.

usage: /usr/bin/python3 bench/bert_ort_export.py MODEL_DIR OUT.onnx
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_peer import load_model  # noqa: E402

OPSET = 14


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    model = load_model(model_dir)
    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long),
               torch.zeros(2, 16, dtype=torch.long))
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(model, example, out, opset_version=OPSET, do_constant_folding=True,
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "logits": {0: "batch"}})
    print("onnx_bytes", os.path.getsize(out))
    print("onnx_opset", OPSET)
    print("torch", torch.__version__)


if __name__ == "__main__":
    main()
