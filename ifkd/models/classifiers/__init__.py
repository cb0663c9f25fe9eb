from .two_branch import TwoBranchClassifier

__all__ = ['TwoBranchClassifier']
