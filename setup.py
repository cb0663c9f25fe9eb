from setuptools import find_packages, setup


def read_requirements(path):
    with open(path) as f:
        reqs = [ln.split('#', 1)[0].strip() for ln in f]
    return [r for r in reqs if r]


def get_version():
    scope = {}
    with open('ifkd/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='ifkd',
    version=get_version(),
    description='Information-fusion knowledge distillation for remote-sensing '
    'detectors, as an OpenMMLab plugin',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    include_package_data=True,
    package_data={'ifkd': ['datasets/*.json']},
    python_requires='>=3.9',
    install_requires=read_requirements('requirements/runtime.txt') +
    read_requirements('requirements/mminstall.txt'),
    extras_require=dict(
        tests=read_requirements('requirements/tests.txt'),
        mmcv_lite=['mmcv-lite==2.1.0']),
    license='Apache License 2.0',
    zip_safe=False)
