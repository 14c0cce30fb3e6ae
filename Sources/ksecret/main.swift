import KSecret
print("ksecret")
