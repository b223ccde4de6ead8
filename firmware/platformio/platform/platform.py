"""The Spikey bare-metal platform: nothing beyond PlatformIO's defaults. It declares no
uploader, so PlatformIO runs the host board's test programs on the host (pio test -e native)."""
from platformio.public import PlatformBase


class SpikeyPlatform(PlatformBase):
    pass
