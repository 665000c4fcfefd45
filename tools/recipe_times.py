"""The real-folder recipe step by step, timed, on whatever `compute_device` picks: the GPU figures in the README.

Usage: python tools/recipe_times.py DATA WORK OUT [--finetune]   (DATA: a class folder with grain-free classes
Argilito_Estevensita and Laminito, as the pre-salt set; times and the student land in OUT)."""
import json, sys, time, tarfile
from pathlib import Path
import numpy as np, torch
from camnet_nb.teacher import compute_device, train_head, train_teacher, load_teacher
from camnet_nb.cam import write_cams, write_matrix_cams, compute_cams, densify
from camnet_nb.flkd import distill
from camnet_nb.data import load_folder, read_image
if len(sys.argv) < 4: sys.exit(__doc__.split('\n\n')[1])
data, work, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
work.mkdir(parents=True, exist_ok=True); out.mkdir(parents=True, exist_ok=True)
dev = compute_device()
info = dict(device=str(dev), torch=torch.__version__, threads=torch.get_num_threads(),
            gpu=torch.cuda.get_device_name() if dev.type == 'cuda' else None)
print(info, flush=True)
times = {}
def step(name, fn):
    if dev.type == 'cuda': torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    r = fn()
    if dev.type == 'cuda': torch.cuda.synchronize()
    times[name] = dict(seconds=round(time.perf_counter() - t0, 2))
    if dev.type == 'cuda': times[name]['peak_gpu_gb'] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
    print(name, times[name], flush=True)
    (out/'times.json').write_text(json.dumps(dict(info=info, times=times), indent=1))
    return r
P = dict(progress=False)
h = step('teacher_head (linear probe, 12 views at 320 px)', lambda: train_head(data, work/'teacher.pt', seed=0, **P))
step("cams (LayerCAM, the head-only teacher's stride 32, 512 px)", lambda: write_cams(work/'teacher.pt', data, work/'cams', **P))
s = step('distill (CamNet, 10 epochs, 160 px, AMP on a GPU)', lambda: distill(data, work/'cams', work/'camnet.pt', epochs=10, img_size=160, seed=0, **P))
step('grain-free contrast maps (Argilito_Estevensita,Laminito)', lambda: write_matrix_cams(data, work/'mcams', 'Argilito_Estevensita,Laminito', **P))
if '--finetune' in sys.argv:
    step('teacher fine-tuned (8 epochs, 160 px, AMP on a GPU)', lambda: train_teacher(data, work/'teacher_ft.pt', arch='efficientnet_lite0', pretrained=True, img_size=160, crop_scale=(0.4, 0.7), epochs=8, lr=5e-4, **P))
# the GPU's autocast CAMs against full precision on the processor, same teacher, same images
if dev.type == 'cuda':
    m, _ = load_teacher(work/'teacher.pt')
    items = sorted(load_folder(data)['train'], key=lambda i: str(i.path))[:8]
    imgs = [read_image(it.path) for it in items]
    a = compute_cams(densify(m.to(dev), 8), imgs)
    b = compute_cams(densify(load_teacher(work/'teacher.pt')[0], 8), imgs)
    r = [float(np.corrcoef(x.ravel(), y.ravel())[0, 1]) for x, y in zip(a, b)]
    times['cam_autocast_vs_cpu_fp32'] = dict(min_corr=round(min(r), 5), max_abs=round(max(float(np.abs(x - y).max()) for x, y in zip(a, b)), 4))
    print(times['cam_autocast_vs_cpu_fp32'])
(out/'times.json').write_text(json.dumps(dict(info=info, times=times, teacher_cv_f1=h['best']['f1'], student_best_ssim=s['best_ssim_cam']), indent=1))
for f in ('camnet.pt', 'camnet.pt.json', 'teacher.pt.json'): (out/f).write_bytes((work/f).read_bytes())
with tarfile.open(out/'cams.tar', 'w') as t: t.add(work/'cams', 'cams'); t.add(work/'mcams', 'mcams')
