"""What a build hands to a firmware team: the C API (include/spikey.h), the library's
sources, CMake and PlatformIO build files, an example, the API's unit tests
(library.py), and an offline PlatformIO project around them (platformio.py)."""
