namespace StChat.Bench;

// HeapBytesPerConnection, Holds and HoldsByOwner: the managed heap per connection, its largest types and who keeps
// them (HeapOwner), from a heap census of our server at its largest count (HeapCensus); null for the peers,
// for smaller counts and when the census could not be taken.
internal sealed record IdleMemoryResult(string Server, int Connections, long BaselineRssBytes, long RssBytes, double BytesPerConnection, double ConnectSeconds)
{
    public double? HeapBytesPerConnection { get; init; }

    public List<HeapTypeShare>? Holds { get; init; }

    public List<HeapTypeShare>? HoldsByOwner { get; init; }
}

// One type of object an idle connection holds: its bytes and objects per connection.
internal sealed record HeapTypeShare(string Type, double Bytes, double Objects);
