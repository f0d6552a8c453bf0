using NATS.Client.Core;

namespace StChat.Messaging;

/// <summary>The <c>Nats:Tls</c> section. Files are PEM; a client certificate needs both its files.</summary>
public sealed record NatsTlsOptions
{
    /// <summary>CA certificate(s) that sign the server's certificate; the system store is used when unset.</summary>
    public string? CaFile { get; init; }

    /// <summary>Client certificate, for servers that verify clients (<c>verify: true</c>).</summary>
    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>Auto (TLS when the URL is tls:// or the server requires it), Prefer, Require, Implicit or Disable.</summary>
    public TlsMode Mode { get; init; } = TlsMode.Auto;
}
