"""The sample_net CNN written as in Hezar's models guide: the PyTorch peer of hezar's sample_net in the
benchmarks (bench/train_sample_net.py, bench/predict_sample_net.py)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SampleNet(nn.Module):
    def __init__(self, num_channels=1, num_classes=10, input_shape=(28, 28)):
        super().__init__()
        h, w = (((s - 4) // 2 - 4) // 2 for s in input_shape)
        self.conv1 = nn.Conv2d(num_channels, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * h * w, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
