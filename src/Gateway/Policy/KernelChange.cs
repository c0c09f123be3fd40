namespace S2SEndpoint.Gateway.Policy;

/// <summary>
/// One thing the engine told the kernel during an engine call, kept until the control plane applies it after the call
/// returns (<see cref="EspKernel.TakeChanges"/>, <see cref="EspKernel.Apply"/>).
/// </summary>
public readonly record struct KernelChange(KernelChangeKind Kind, EspKernel.Installed Sa);
