namespace StChat.Nats;

/// <summary>TLS settings.</summary>
public sealed record NatsTlsOpts
{
    /// <summary>TLS when the URL or the server asks for it.</summary>
    public static readonly NatsTlsOpts Default = new();

    /// <summary>When TLS is used.</summary>
    public NatsTlsMode Mode { get; init; } = NatsTlsMode.Auto;

    /// <summary>Accept any server certificate. For tests only.</summary>
    public bool InsecureSkipVerify { get; init; }

    /// <summary>PEM file of the certificate authority that signed the server certificate.</summary>
    public string? CaFile { get; init; }
}
