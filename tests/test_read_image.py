"Every awkward kind of file through the one image reader."
import io
import numpy as np, pytest, cv2
from PIL import Image
from camnet_nb.data import read_image, ImageReadError, check_readable

def _save(tmp_path, name, arr, mode=None, **kw):
    p = tmp_path/name; Image.fromarray(arr, mode) if mode else Image.fromarray(arr)
    (Image.fromarray(arr, mode) if mode else Image.fromarray(arr)).save(p, **kw); return p

@pytest.mark.parametrize('mode', ['L', 'LA', 'P', 'RGBA', 'CMYK', 'RGB', '1'])
def test_modes_become_rgb_uint8(tmp_path, mode):
    im = Image.fromarray(np.random.default_rng(0).integers(0, 255, (12, 9, 3), dtype=np.uint8)).convert(mode)
    p = tmp_path/('x.tif' if mode == 'CMYK' else 'x.png'); im.save(p)
    a = read_image(p)
    assert a.shape == (12, 9, 3) and a.dtype == np.uint8

def test_16bit_is_rescaled_not_clipped(tmp_path):
    ramp = np.linspace(1000, 3000, 200).reshape(10, 20).astype(np.uint16)
    p = tmp_path/'r.tif'; Image.fromarray(ramp).save(p)
    a = read_image(p)[..., 0]
    assert a.min() == 0 and a.max() == 255
    assert np.all(np.diff(a[0].astype(int)) >= 0)  # order preserved

def test_16bit_rgb_tiff_via_opencv(tmp_path):
    a16 = (np.random.default_rng(1).integers(0, 65535, (8, 10, 3))).astype(np.uint16)
    p = tmp_path/'rgb16.tif'; assert cv2.imwrite(str(p), a16)
    a = read_image(p)
    assert a.shape == (8, 10, 3) and a.dtype == np.uint8 and a.max() == 255

def test_float_tiff(tmp_path):
    f = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    p = tmp_path/'f.tif'; Image.fromarray(f, 'F').save(p)
    a = read_image(p)[..., 0]
    assert a[0, 0] == 0 and a[-1, -1] == 255

def test_exif_orientation(tmp_path):
    im = Image.fromarray(np.zeros((10, 30, 3), np.uint8)); ex = im.getexif(); ex[0x0112] = 8
    p = tmp_path/'o.jpg'; im.save(p, exif=ex.tobytes())
    assert read_image(p).shape[:2] == (30, 10)

def test_content_not_extension(tmp_path):
    p = tmp_path/'really_a_jpeg.tif'; Image.fromarray(np.full((6, 6, 3), 50, np.uint8)).save(p, format='JPEG')
    assert read_image(p).shape == (6, 6, 3)

def _bad(tmp_path, kind):
    p = tmp_path/f'{kind}.jpg'
    if kind == 'empty': p.write_bytes(b'')
    elif kind == 'random': p.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    elif kind == 'truncated':
        buf = io.BytesIO(); Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, 'JPEG')
        p.write_bytes(buf.getvalue()[:300])
    elif kind == 'folder': p.mkdir()
    elif kind == 'text': p.write_text('hello, I am not an image\n')
    return p

@pytest.mark.parametrize('kind,reason', [('empty', 'empty'), ('random', 'not a recognised'), ('truncated', 'truncated'),
                                         ('folder', 'folder'), ('text', 'not a recognised')])
def test_bad_files_one_line_error(tmp_path, kind, reason):
    p = _bad(tmp_path, kind)
    with pytest.raises(ImageReadError) as e: read_image(p)
    msg = str(e.value)
    assert str(p) in msg and reason in msg and '\n' not in msg
    assert check_readable(p) is not None

def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match='no such file'): read_image(tmp_path/'nope.png')

def test_decompression_bomb_refused_before_decoding(tmp_path):
    p = tmp_path/'big.png'; Image.fromarray(np.zeros((400, 500), np.uint8)).save(p)
    with pytest.raises(ImageReadError, match='exceeds the limit'): read_image(p, max_pixels=100_000)
    assert read_image(p, max_pixels=None).shape == (400, 500, 3)

def test_huge_declared_size_is_refused(tmp_path):
    # a PNG header that claims 60000x60000 pixels: refused from the header, nothing is allocated
    import zlib, struct
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 60000, 60000, 8, 0, 0, 0, 0)) + \
          chunk(b'IDAT', zlib.compress(b'\x00' * 100)) + chunk(b'IEND', b'')
    p = tmp_path/'bomb.png'; p.write_bytes(png)
    with pytest.raises(ImageReadError, match='decompression bomb'): read_image(p)
