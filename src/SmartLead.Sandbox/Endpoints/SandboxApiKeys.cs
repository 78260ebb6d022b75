using Microsoft.Extensions.Options;

namespace SmartLead.Sandbox.Endpoints;

/// <summary>The key the sandbox accepts now; replaceable at run time so key-rotation tests see the old key stop working.</summary>
internal sealed class SandboxApiKeys(IOptions<SandboxOptions> options)
{
    private string _current = options.Value.ApiKey;

    public string Current => Volatile.Read(ref _current);

    public void Rotate(string newKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(newKey);
        Volatile.Write(ref _current, newKey);
    }

    public bool Accepts(string? key) => string.Equals(key, Current, StringComparison.Ordinal);
}
