"""``python -m spikey_train ARGS``: the training program (``spikey train ARGS`` runs it)."""
import sys

try:
    from .train import main
except ImportError as e:   # torch (the training extra) is not installed
    print(f"spikey train: error: {e}; training needs torch: pip install torch==2.13.0 'spikey[train]'",
          file=sys.stderr)
    sys.exit(1)

sys.exit(main())
