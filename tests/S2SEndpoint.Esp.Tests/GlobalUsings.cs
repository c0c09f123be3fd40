global using S2SEndpoint.Esp;
global using S2SEndpoint.Ike.Tests.Vectors;
