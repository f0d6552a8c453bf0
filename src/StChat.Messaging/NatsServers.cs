namespace StChat.Messaging;

/// <summary><c>Nats:Url</c> split into the server list the client dials and the credentials it carried.</summary>
internal sealed record NatsServers(string Urls, string? User, string? Password, string? Token);
