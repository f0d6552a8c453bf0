namespace StChat.Nats.Internal;

// Fields of CONNECT that vary per connection; the fixed ones are written by ProtocolWriter.WriteConnect.
internal sealed record ConnectInfo(string Name, string Lang, string Version, bool Echo, bool TlsRequired, string? Username, string? Password, string? Token);
