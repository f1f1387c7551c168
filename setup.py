"""Build script: reads the package metadata from settings.ini (no pkg_resources).

The source distribution carries settings.ini (MANIFEST.in), so `python -m build` makes the wheel from it."""
from configparser import ConfigParser
from pathlib import Path

import setuptools

HERE = Path(__file__).resolve().parent
cfg = ConfigParser(delimiters=['='])
if not cfg.read(HERE / 'settings.ini', encoding='utf-8'):
    raise SystemExit(f"settings.ini is missing from {HERE}: it holds the package metadata")
c = cfg['DEFAULT']


def reqs(key: str) -> list[str]:
    "A requirement list of settings.ini (specifiers may hold commas, so split on whitespace only)."
    return c.get(key, '').split()


plot, images, torch, onnx = reqs('plot_requirements'), reqs('images_requirements'), \
    reqs('torch_requirements'), reqs('onnx_requirements')
course = plot + images + reqs('course_requirements')
extras = {
    'plot': plot, 'images': images, 'torch': torch, 'onnx': onnx,
    'course': course,                                    # what the notebooks need
    'dev': course + onnx + reqs('dev_requirements'),     # dev pins torch itself (torch==2.13.0)
}
python_versions = ['3.10', '3.11', '3.12', '3.13']
assert python_versions[0] == c['min_python'], "update the classifiers with min_python"
status = {'1': 'Planning', '2': 'Pre-Alpha', '3': 'Alpha', '4': 'Beta', '5': 'Production/Stable'}[c['status']]

setuptools.setup(
    name=c['dist_name'],   # the import package stays `nnfs`
    version=c['version'],
    description=c['description'],
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    author=c['author'],
    license='Apache-2.0',
    license_files=['LICENSE'],
    keywords=c['keywords'].split(),
    classifiers=[
        f'Development Status :: {c["status"]} - {status}',
        'Intended Audience :: Education',
        'Intended Audience :: Science/Research',
        'Intended Audience :: Developers',
        'Natural Language :: English',
        'Operating System :: OS Independent',
        'Programming Language :: Python :: 3',
        *[f'Programming Language :: Python :: {v}' for v in python_versions],
        'Framework :: Jupyter',
        'Topic :: Education',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    packages=setuptools.find_packages(include=[c['lib_path'], c['lib_path'] + '.*']),
    include_package_data=True,
    python_requires='>=' + c['min_python'],
    install_requires=reqs('requirements'),
    extras_require=extras,
    entry_points={
        'console_scripts': c.get('console_scripts', '').split(),
        'nbdev': [f"{c['lib_path']}={c['lib_path']}._modidx:d"],
    },
    zip_safe=False,
)
