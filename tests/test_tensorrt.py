"""TensorRT back end.

With a GPU and TensorRT (a Jetson, or a desktop with a TensorRT wheel) the real tests at the end build engines and
compare them with onnxruntime. Everywhere, the runner's host side (shapes, buffers, both generations of the API) and
the builder's choices per TensorRT version run against small stand-ins for the `tensorrt` module and CUDA, which
behave as their documentation says: device memory is host bytes here, and "inference" is a fixed numpy function.
"""
import types
import numpy as np
import pytest
from camnet_nb.camnet import camnet
from camnet_nb.deploy import (TrtRunner, build_trt_engine, export_onnx, make_runner, OnnxRunner, tensorrt_available,
                              onnx_fp16)


def fake_net(x):  # what the stand-in engine computes: sigmoid of the channel mean
    return 1 / (1 + np.exp(-x.mean(1, keepdims=True)))


class FakeCuda:
    "Device memory as host buffers keyed by fake pointers."
    def __init__(self): self.mem, self.next, self.handle = {}, 4096, 7
    def malloc(self, n): p = self.next; self.next += n + 256; self.mem[p] = bytearray(n); return p
    def free(self, p): del self.mem[p]
    def h2d(self, p, a): self.mem[p][:a.nbytes] = a.tobytes()
    def d2h(self, a, p): a[...] = np.frombuffer(bytes(self.mem[p][:a.nbytes]), np.float32).reshape(a.shape)
    def sync(self): pass


class FakeContext:
    def __init__(self, eng): self.eng, self.shape, self.addr = eng, None, {}
    # TensorRT >= 8.5
    def set_input_shape(self, name, shape):
        if shape[2] > 64: return False                # the stand-in's optimisation profile ends at 64 rows
        self.shape = tuple(shape); return True
    def get_tensor_shape(self, name):
        s = self.shape or self.eng.shape
        return (s[0], 1, s[2], s[3]) if name == 'heatmap' else s
    def set_tensor_address(self, name, ptr): self.addr[name] = ptr; return True
    def execute_async_v3(self, stream):
        assert stream == self.eng.cuda.handle
        return self._run(self.addr['image'], self.addr['heatmap'])
    # TensorRT 8.0-8.4
    def set_binding_shape(self, i, shape): assert i == 0; return self.set_input_shape('image', shape)
    def get_binding_shape(self, i): return self.get_tensor_shape('heatmap' if i == 1 else 'image')
    def execute_async_v2(self, bindings, stream): return self._run(bindings[0], bindings[1])
    def _run(self, pin, pout):
        s = self.shape or self.eng.shape
        assert all(v > 0 for v in s), "input shape never set on a dynamic engine"
        x = np.frombuffer(bytes(self.eng.cuda.mem[pin][:int(np.prod(s)) * 4]), np.float32).reshape(s)
        y = fake_net(x).astype(np.float32)
        self.eng.cuda.mem[pout][:y.nbytes] = y.tobytes(); self.eng.runs += 1
        return True


class FakeEngine:
    def __init__(self, cuda, shape, by_name): self.cuda, self.shape, self.runs = cuda, shape, 0; self.by_name = by_name
    def __getattr__(self, k):
        # the old API has no num_io_tensors, the new one no num_bindings
        if k == 'num_io_tensors' and self.by_name: return 2
        if k == 'num_bindings' and not self.by_name: return 2
        raise AttributeError(k)
    def get_tensor_name(self, i): return ['image', 'heatmap'][i]
    def get_tensor_mode(self, n): return 'IN' if n == 'image' else 'OUT'
    def get_tensor_shape(self, n): return self.shape if n == 'image' else (self.shape[0], 1, *self.shape[2:])
    def binding_is_input(self, i): return i == 0
    def get_binding_shape(self, i): return self.get_tensor_shape('image' if i == 0 else 'heatmap')
    def create_execution_context(self): return FakeContext(self)


def fake_trt(engine):
    class Logger:
        WARNING = 2
        def __init__(self, level): pass
    class Runtime:
        def __init__(self, logger): pass
        def deserialize_cuda_engine(self, b): return engine if b == b'plan' else None
    return types.SimpleNamespace(Logger=Logger, Runtime=Runtime, TensorIOMode=types.SimpleNamespace(INPUT='IN', OUTPUT='OUT'))


@pytest.fixture
def plan(tmp_path):
    p = tmp_path / 'm.engine'; p.write_bytes(b'plan'); return p


@pytest.mark.parametrize('by_name', [True, False])
def test_runner_dynamic_engine_any_size(plan, by_name):
    cuda = FakeCuda(); eng = FakeEngine(cuda, (-1, 3, -1, -1), by_name)
    r = TrtRunner(plan, trt=fake_trt(eng), cuda=cuda)
    assert r.static_hw is None
    rng = np.random.default_rng(0)
    for shape in [(1, 3, 20, 30), (2, 3, 40, 50), (1, 3, 8, 8)]:   # grows, then reuses the larger buffers
        x = rng.random(shape, dtype=np.float32)
        np.testing.assert_allclose(r(x), fake_net(x), rtol=1e-6)
    assert len(cuda.mem) == 2 and eng.runs == 3
    with pytest.raises(ValueError, match="outside this TensorRT engine's optimisation profile"):
        r(np.zeros((1, 3, 65, 8), np.float32))


@pytest.mark.parametrize('by_name', [True, False])
def test_runner_static_engine(plan, by_name):
    cuda = FakeCuda(); eng = FakeEngine(cuda, (1, 3, 16, 24), by_name)
    r = TrtRunner(plan, trt=fake_trt(eng), cuda=cuda, input_scale=255.0)
    assert r.static_hw == (16, 24)
    x = np.random.default_rng(1).random((3, 3, 16, 24), dtype=np.float32)
    np.testing.assert_allclose(r(x), fake_net(x * 255), rtol=1e-6)   # a batch runs one image at a time
    assert eng.runs == 3
    with pytest.raises(ValueError, match=r'takes \(1, 3, 16, 24\), got \(1, 3, 16, 16\)'):
        r(np.zeros((1, 3, 16, 16), np.float32))


def test_runner_bad_engine_files(tmp_path):
    cuda = FakeCuda(); trt = fake_trt(FakeEngine(cuda, (1, 3, 8, 8), True))
    with pytest.raises(FileNotFoundError, match='no such TensorRT engine file'):
        TrtRunner(tmp_path / 'missing.engine', trt=trt, cuda=cuda)
    bad = tmp_path / 'other.engine'; bad.write_bytes(b'from another version')
    with pytest.raises(RuntimeError, match='cannot load this engine'):
        TrtRunner(bad, trt=trt, cuda=cuda)


def fake_builder_trt(with_fp16_flag):
    "Records what build_trt_engine asks of TensorRT; the 'plan' is the parsed ONNX's bytes."
    log = {}
    class Flag: pass
    if with_fp16_flag: Flag.FP16 = 'FP16'; explicit = types.SimpleNamespace(EXPLICIT_BATCH=0)
    else: explicit = types.SimpleNamespace()
    class Net:
        def get_input(self, i): return types.SimpleNamespace(name='image', shape=log['shape'])
    class Parser:
        def __init__(self, net, logger): pass
        def parse(self, b): log['parsed'] = b; return True
    class Config:
        def set_memory_pool_limit(self, pool, n): log['workspace'] = n
        def set_flag(self, f): log['flag'] = f
        def add_optimization_profile(self, p): log['profile'] = p.shapes
    class Profile:
        def set_shape(self, name, *s): self.shapes = s
    class Builder:
        def __init__(self, logger): pass
        def create_network(self, flags): log['network_flags'] = flags; return Net()
        def create_builder_config(self): return Config()
        def create_optimization_profile(self): return Profile()
        def build_serialized_network(self, net, cfg): return log['parsed']
    trt = types.SimpleNamespace(Logger=lambda level: None, Builder=Builder, OnnxParser=Parser, BuilderFlag=Flag,
                                NetworkDefinitionCreationFlag=explicit, MemoryPoolType=types.SimpleNamespace(WORKSPACE=0))
    trt.Logger.WARNING = 2
    return trt, log


def test_builder_per_tensorrt_generation(tmp_path):
    onnx_path = export_onnx(camnet(), tmp_path / 'c.onnx')                      # dynamic height/width
    # TensorRT 8-10: explicit batch, the FP16 flag, the fp32 file; one profile at the asked frame size
    trt, log = fake_builder_trt(True); log['shape'] = (-1, 3, -1, -1)
    e = build_trt_engine(onnx_path, tmp_path / 'a.engine', shape=(96, 128), trt=trt)
    assert log['flag'] == 'FP16' and log['network_flags'] == 1 and log['parsed'] == onnx_path.read_bytes()
    assert log['profile'] == ((1, 3, 96, 128), (1, 3, 96, 128), (1, 3, 96, 128)) and e.read_bytes() == onnx_path.read_bytes()
    # TensorRT 11: strongly typed, so fp16 means parsing a float16 ONNX file; no flag, no explicit-batch bit
    trt, log = fake_builder_trt(False); log['shape'] = (1, 3, 64, 64)
    build_trt_engine(onnx_path, tmp_path / 'b.engine', trt=trt)
    assert 'flag' not in log and log['network_flags'] == 0 and 'profile' not in log
    assert log['parsed'] == (tmp_path / 'b.fp16.onnx').read_bytes() != onnx_path.read_bytes()
    with pytest.raises(FileNotFoundError): build_trt_engine(tmp_path / 'none.onnx', tmp_path / 'c.engine', trt=trt)


def test_onnx_fp16_close_to_fp32(tmp_path):
    p = export_onnx(camnet(), tmp_path / 'c.onnx', static=(64, 96))
    x = np.random.default_rng(2).random((1, 3, 64, 96), dtype=np.float32)
    q = onnx_fp16(p, tmp_path / 'c16.onnx')
    assert np.abs(OnnxRunner(q)(x) - OnnxRunner(p)(x)).max() < 1e-2


needs_trt = pytest.mark.skipif(tensorrt_available() is not None, reason=str(tensorrt_available()))


def test_make_runner_falls_back_with_one_line(tmp_path):
    p = export_onnx(camnet(), tmp_path / 'c.onnx')
    lines = []
    r = make_runner(p, log=lines.append)
    if tensorrt_available() is None: assert isinstance(r, TrtRunner) and not lines
    else: assert isinstance(r, OnnxRunner) and len(lines) == 1 and 'onnxruntime' in lines[0]
    assert not lines or '\n' not in lines[0]
    assert isinstance(make_runner(p, backend='onnxruntime', log=lines.append), OnnxRunner)
    with pytest.raises(ValueError, match='unknown back end'): make_runner(p, backend='cuda')
    if tensorrt_available() is not None:   # asked for by name, TensorRT is not quietly replaced
        with pytest.raises(RuntimeError, match="'tensorrt' asked for, but TensorRT"): make_runner(p, backend='tensorrt', log=lines.append)


@needs_trt
@pytest.mark.parametrize('static', [True, False])
def test_tensorrt_matches_onnxruntime(tmp_path, static):
    net = camnet()
    p = export_onnx(net, tmp_path / 'c.onnx', static=(256, 256) if static else None)
    e = build_trt_engine(p, tmp_path / 'c.engine', shape=(256, 256))
    x = np.random.default_rng(0).random((1, 3, 256, 256), dtype=np.float32)
    r = TrtRunner(e)
    assert r.static_hw == ((256, 256) if static else None)
    assert np.abs(r(x) - OnnxRunner(p)(x)).max() < 2e-2    # fp16 engine against fp32
