namespace StChat.Testing;

public sealed record NatsServerOptions
{
    public bool JetStream { get; init; } = true;
    public string? User { get; init; }
    public string? Password { get; init; }
    public string? Token { get; init; }
    public string? TlsCertFile { get; init; }
    public string? TlsKeyFile { get; init; }
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];
}
