using System.Text;

namespace StChat.Messaging;

/// <summary>
/// The <c>Nats</c> configuration section: which servers to reach, how to authenticate, TLS, and how the connection
/// keeps itself alive. Checked at start by <see cref="NatsOptionsValidator"/>.
/// </summary>
public sealed record NatsOptions
{
    public const string SectionName = "Nats";

    /// <summary>Comma-separated <c>nats://</c> or <c>tls://</c> URLs of the servers (a cluster's seed list).</summary>
    public string Url { get; init; } = "";

    /// <summary>Client name the server shows in its connection list.</summary>
    public string Name { get; init; } = "stchat";

    /// <summary>User name, with <see cref="Password"/>.</summary>
    public string? User { get; init; }

    public string? Password { get; init; }

    /// <summary>File holding the password, instead of <see cref="Password"/> (Docker and Kubernetes secrets).</summary>
    public string? PasswordFile { get; init; }

    /// <summary>Authentication token, instead of a user and password.</summary>
    public string? Token { get; init; }

    /// <summary>File holding the token, instead of <see cref="Token"/>.</summary>
    public string? TokenFile { get; init; }

    /// <summary>File holding an NKey seed (<c>SU...</c>), for NKey authentication.</summary>
    public string? NKeySeedFile { get; init; }

    /// <summary>A <c>.creds</c> file (user JWT and NKey seed), for decentralised JWT authentication.</summary>
    public string? CredsFile { get; init; }

    public NatsTlsOptions Tls { get; init; } = new();

    /// <summary>How often the client pings an idle server; two unanswered pings end the connection.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First wait before reconnecting; it grows up to <see cref="ReconnectWaitMax"/>.</summary>
    public TimeSpan ReconnectWait { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectWaitMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Reconnect attempts before the connection gives up for good; -1 never gives up.</summary>
    public int MaxReconnectAttempts { get; init; } = -1;

    // The generated ToString would print the password, the token and credentials in the URL.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Url = {NatsUrl.Redact(Url)}, Name = {Name}, User = {User}, Password = {Secret.Mask(Password)}, ")
            .Append($"PasswordFile = {PasswordFile}, Token = {Secret.Mask(Token)}, TokenFile = {TokenFile}, NKeySeedFile = {NKeySeedFile}, CredsFile = {CredsFile}, Tls = {Tls}, ")
            .Append($"PingInterval = {PingInterval}, ReconnectWait = {ReconnectWait}, ReconnectWaitMax = {ReconnectWaitMax}, ")
            .Append($"MaxReconnectAttempts = {MaxReconnectAttempts}");
        return true;
    }
}
