"""Call recordings: where a call's recording is (a mounted folder in the FreePBX dated layout or flat,
or the PBX's web server), what format it is in, and a copy a browser can play (converted once by
ffmpeg and cached in the store).  The file always comes from the store's ``recording`` column of
the call, never from an address a visitor typed."""
