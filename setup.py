"""Build script: reads the package metadata from settings.ini (no pkg_resources)."""
from configparser import ConfigParser
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
c = cfg['DEFAULT']

requirements = c.get('requirements', '').split()
dev_requirements = c.get('dev_requirements', '')
# dev requirements may contain specifiers with commas, so split on whitespace only
dev_requirements = dev_requirements.split()
console_scripts = c.get('console_scripts', '').split()

setuptools.setup(
    name=c['dist_name'],   # the import package stays `nnfs`
    version=c['version'],
    description=c['description'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    author=c['author'],
    author_email=c['author_email'],
    license='Apache-2.0',
    license_files=['LICENSE'],
    keywords=c['keywords'].split(),
    packages=setuptools.find_packages(include=[c['lib_path'], c['lib_path'] + '.*']),
    include_package_data=True,
    python_requires='>=' + c['min_python'],
    install_requires=requirements,
    extras_require={'dev': dev_requirements},
    entry_points={
        'console_scripts': console_scripts,
        'nbdev': [f"{c['lib_path']}={c['lib_path']}._modidx:d"],
    },
    zip_safe=False,
)
