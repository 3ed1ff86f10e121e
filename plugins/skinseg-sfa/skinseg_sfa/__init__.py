"""The SFA face-skin dataset for skinseg: 1118 FERET/AR face photos with skin masks.

Read from an ``images/`` + ``masks/`` folder whose ``manifest.csv`` gives each stem's split
(train 1007, val 111), through skinseg's own folder reader.
"""

from skinseg.datasets.folder import load_folder
from skinseg.hookspecs import hookimpl


def load_sfa(data_dir=None, scheme=None, **options):
    return load_folder(data_dir=data_dir, scheme=scheme or "manifest", name="sfa", **options)


@hookimpl
def register_datasets(register):
    register("sfa", load_sfa, "SFA face skin (FERET + AR faces), 1007 train / 111 val")
