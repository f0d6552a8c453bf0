namespace StChat.Nats;

/// <summary>Credentials sent in CONNECT.</summary>
public sealed record NatsAuthOpts
{
    /// <summary>No credentials.</summary>
    public static readonly NatsAuthOpts Default = new();

    /// <summary>Username for user/password authentication.</summary>
    public string? Username { get; init; }

    /// <summary>Password for user/password authentication.</summary>
    public string? Password { get; init; }

    /// <summary>Token for token authentication.</summary>
    public string? Token { get; init; }
}
