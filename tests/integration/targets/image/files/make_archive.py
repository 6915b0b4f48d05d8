#!/usr/bin/env python
"""Write a small `docker save` archive, byte for byte the same on every run (so image IDs are fixed).

    make_archive.py OUT.tar [--compress gz] IMAGE [IMAGE ...]

IMAGE is `SEED=TAG[,TAG...]` (an image whose one layer holds a file with SEED in it, tagged TAGs) or `SEED=`
(an image without tags). Prints {"images": [{"id": ..., "tags": [...]}, ...]} as JSON.
Used by the image integration target and the unit tests; needs only the standard library.
"""

import argparse
import gzip
import hashlib
import io
import json
import sys
import tarfile

EPOCH = "2024-01-01T00:00:00Z"


def _tar_bytes(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 1704067200, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build(images):
    """images: [(seed, [tags])] -> (archive bytes, [{"id", "tags"}])."""
    files, manifest, described = [], [], []
    for seed, tags in images:
        layer = _tar_bytes([("flotilla-test.txt", ("%s\n" % seed).encode())])
        layer_sha = hashlib.sha256(layer).hexdigest()
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "created": EPOCH,
            "config": {"Cmd": ["/flotilla-test.txt"], "Labels": {"flotilla.test": seed}},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_sha]},
            "history": [{"created": EPOCH, "created_by": "flotilla make_archive.py " + seed}],
        }, sort_keys=True).encode()
        config_sha = hashlib.sha256(config).hexdigest()
        files += [(layer_sha + "/layer.tar", layer), (layer_sha + "/VERSION", b"1.0"),
                  (config_sha + ".json", config)]
        manifest.append({"Config": config_sha + ".json", "RepoTags": tags or None,
                         "Layers": [layer_sha + "/layer.tar"]})
        described.append({"id": "sha256:" + config_sha, "tags": sorted(tags)})
    files.append(("manifest.json", json.dumps(manifest).encode()))
    return _tar_bytes(files), described


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("out")
    parser.add_argument("--compress", choices=["gz"])
    parser.add_argument("images", nargs="+", metavar="SEED=TAG[,TAG...]")
    args = parser.parse_args(argv)
    images = []
    for item in args.images:
        seed, tags = item.split("=", 1) if "=" in item else (item, "")
        images.append((seed, [tag for tag in tags.split(",") if tag]))
    data, described = build(images)
    if args.compress == "gz":
        data = gzip.compress(data, mtime=0)
    with open(args.out, "wb") as out:
        out.write(data)
    json.dump({"images": described}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
